// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IChannelFactory} from "./interfaces/IChannelFactory.sol";
import {IChannelMastercopy} from "./interfaces/IChannelMastercopy.sol";
import {LibAsset} from "./lib/LibAsset.sol";

/// @title ChannelFactory
/// @notice Creates channels as CREATE2 EIP-1167 clones of the mastercopy, so a channel's
/// address is known before it exists and users can deposit into it first.
/// @dev The reentrancy guard is transient (EIP-1153): no storage slot read or written per call.
contract ChannelFactory is IChannelFactory, ReentrancyGuardTransient {
    address private immutable _mastercopy;

    constructor(address mastercopy) {
        _mastercopy = mastercopy;
    }

    /// @inheritdoc IChannelFactory
    function getMastercopy() external view returns (address) {
        return _mastercopy;
    }

    /// @inheritdoc IChannelFactory
    function getChannelSalt(address alice, address bob) public view returns (bytes32) {
        return keccak256(abi.encode(alice, bob, block.chainid));
    }

    /// @inheritdoc IChannelFactory
    function getChannelAddress(address alice, address bob) external view returns (address) {
        return Clones.predictDeterministicAddress(_mastercopy, getChannelSalt(alice, bob));
    }

    /// @inheritdoc IChannelFactory
    function createChannel(address alice, address bob) external returns (address channel) {
        channel = _deployChannel(alice, bob);
    }

    /// @inheritdoc IChannelFactory
    function createChannelAndDepositAlice(address alice, address bob, address assetId, uint256 amount)
        external
        payable
        nonReentrant
        returns (address channel)
    {
        // Anyone may deploy any channel, so a deposit must not fail because someone did first.
        channel = Clones.predictDeterministicAddress(_mastercopy, getChannelSalt(alice, bob));
        if (channel.code.length == 0) _deployChannel(alice, bob);
        if (LibAsset.isNative(assetId)) {
            if (msg.value != amount) revert InvalidDepositValue(amount, msg.value);
            IChannelMastercopy(payable(channel)).depositAlice{value: amount}(assetId, amount);
        } else {
            if (msg.value != 0) revert InvalidDepositValue(amount, msg.value);
            IERC20 token = IERC20(assetId);
            uint256 before = token.balanceOf(address(this));
            SafeERC20.safeTransferFrom(token, msg.sender, address(this), amount);
            uint256 received = token.balanceOf(address(this)) - before;
            SafeERC20.forceApprove(token, channel, received);
            IChannelMastercopy(payable(channel)).depositAlice(assetId, received);
        }
    }

    function _deployChannel(address alice, address bob) internal returns (address channel) {
        bytes32 salt = getChannelSalt(alice, bob);
        address predicted = Clones.predictDeterministicAddress(_mastercopy, salt);
        // CREATE2 onto an existing address burns all the gas it is given; fail cheaply instead.
        if (predicted.code.length != 0) revert ChannelAlreadyExists(predicted);
        channel = Clones.cloneDeterministic(_mastercopy, salt);
        IChannelMastercopy(payable(channel)).setup(alice, bob);
        emit ChannelCreated(channel, alice, bob);
    }
}
