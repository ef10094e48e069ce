// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ICMCDeposit} from "../interfaces/ICMCDeposit.sol";
import {LibAsset} from "../lib/LibAsset.sol";
import {CMCAsset} from "./CMCAsset.sol";

/// @title CMCDeposit
/// @notice Alice deposits through `depositAlice`; bob deposits by sending to the channel.
/// @dev Bob's total is derived (held + paid out − alice's), so a plain transfer needs no call.
abstract contract CMCDeposit is CMCAsset, ICMCDeposit {
    mapping(address assetId => uint256) internal _totalDepositsAlice;

    /// @notice Bob's native-coin deposits arrive here.
    receive() external payable onlyViaProxy {}

    /// @inheritdoc ICMCDeposit
    function depositAlice(address assetId, uint256 amount) external payable onlyViaProxy nonReentrant {
        uint256 received;
        if (LibAsset.isNative(assetId)) {
            if (msg.value != amount) revert InvalidDepositValue(amount, msg.value);
            received = amount;
        } else {
            if (msg.value != 0) revert InvalidDepositValue(amount, msg.value);
            // Count what arrived, so a token that takes a fee cannot inflate alice's deposits.
            uint256 before = IERC20(assetId).balanceOf(address(this));
            SafeERC20.safeTransferFrom(IERC20(assetId), msg.sender, address(this), amount);
            received = IERC20(assetId).balanceOf(address(this)) - before;
        }
        _totalDepositsAlice[assetId] += received;
        emit AliceDeposited(assetId, received);
    }

    /// @inheritdoc ICMCDeposit
    function getTotalDepositsAlice(address assetId) external view returns (uint256) {
        return _totalDepositsAlice[assetId];
    }

    /// @inheritdoc ICMCDeposit
    function getTotalDepositsBob(address assetId) external view returns (uint256) {
        return _totalDepositsBob(assetId);
    }

    function _totalDepositsBob(address assetId) internal view returns (uint256) {
        uint256 total = LibAsset.balanceOf(assetId, address(this)) + _totalTransferred[assetId];
        uint256 alice = _totalDepositsAlice[assetId];
        // A token that shrinks balances on its own could push this below alice's total.
        return total > alice ? total - alice : 0;
    }
}
