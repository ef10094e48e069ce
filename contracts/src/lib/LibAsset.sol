// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

/// @title LibAsset
/// @notice One place that treats the native coin (asset id 0x0) and ERC-20 tokens alike.
/// @dev SafeERC20 so that tokens which return no boolean work, and ones that return false revert.
library LibAsset {
    address internal constant NATIVE = address(0);

    function isNative(address assetId) internal pure returns (bool) {
        return assetId == NATIVE;
    }

    function balanceOf(address assetId, address owner) internal view returns (uint256) {
        return isNative(assetId) ? owner.balance : IERC20(assetId).balanceOf(owner);
    }

    /// @dev Reverts when the payment fails, so that nothing is recorded as paid that was not.
    function transfer(address assetId, address payable recipient, uint256 amount) internal {
        if (amount == 0) return;
        if (isNative(assetId)) {
            Address.sendValue(recipient, amount);
        } else {
            SafeERC20.safeTransfer(IERC20(assetId), recipient, amount);
        }
    }
}
